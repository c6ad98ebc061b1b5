"""Declarative metric cards compiled to warehouse SQL with SQLAlchemy."""
