"""Accounts, sign-in and scoped access (issue 4)."""
