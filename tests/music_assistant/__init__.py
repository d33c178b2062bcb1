"""Tests of the Music Assistant server entries, against the fake server over real sockets."""
