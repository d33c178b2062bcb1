"""Tests of the Last.fm account in Home Assistant: flow, runtime, sensors, diagnostics."""
