"""Site Coach WhatsApp bot package."""
