"""The pure model: no I/O, no SQLAlchemy, no pluggy, no stevedore (a test keeps it so)."""
