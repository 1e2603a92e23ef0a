"""The app's UI helpers: messages and the error guard, figure display, downloads, URL-backed widgets, the shared
sidebar, the Build page's layer editor and the layer argument docs.

They draw and return plain values; state lives in app/state.py. Nothing here imports app.session (training
orchestration): pages and the router call both (tests/app/test_app_layout.py checks it).
"""
