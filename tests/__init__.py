"""Tests of the Scrobbler integration."""
