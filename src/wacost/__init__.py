"""wacost: estimate what a WhatsApp Business Platform campaign will cost before it is sent."""

__version__ = "0.1.0"
