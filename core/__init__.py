"""The bottom layer: domain errors, API conventions, URL converters, project checks, and the
cross-cutting HTTP pieces (input validators, the limited JSON parser, cursor pagination that refuses
forged cursors, the address guard, the websocket catch-all). Core imports no project app.
"""
