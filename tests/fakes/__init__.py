"""Fakes that speak the real protocols over real sockets on 127.0.0.1."""
