"""Feed polling: fetch, parse and clean news feeds. Plain Python; nothing here knows about Discord."""
