"""Customer-service assistant for Indonesian service businesses: everything that is not Rasa data."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
