"""Tests of the fake Music Assistant server against the real client."""
