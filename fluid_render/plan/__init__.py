"""Pure functions that derive every value the templates print; templates only format."""
