"""Alert delivery core: what a channel is sent, and the queue worker that sends it. No discord import here."""
