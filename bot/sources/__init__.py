"""Sources as the bot keeps them: their health and the notices about it."""
