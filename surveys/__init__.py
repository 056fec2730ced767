"""Puas: surveys after closed tickets, internal ratings and the scores built from them."""
