"""The plugins every install needs, registered through entry points exactly like external ones."""
