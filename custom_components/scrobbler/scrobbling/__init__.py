"""Scrobbling rules and the durable queue, free of Home Assistant.

``tracker`` turns playback snapshots of players into "now playing" and "play qualified"
decisions by Last.fm's rules; ``queue`` holds qualified plays per account until Last.fm has
them, and decides what each answer of the service does to them; ``sender`` is the task of one
account that saves its queue and empties it into Last.fm. Nothing here imports Home
Assistant: the integration feeds snapshots in and persists the queue through its own storage.
"""
