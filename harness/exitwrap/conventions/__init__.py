"""Conventions: documented expectations with their sources, and the checker that applies them."""
