"""Tests of the Home Assistant-free Last.fm library and its command line."""
