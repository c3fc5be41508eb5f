"""Django-free helpers shared across apps."""
