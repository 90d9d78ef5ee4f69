"""Site Coach: a WhatsApp learning coach for UK cable-jointing apprentices."""
