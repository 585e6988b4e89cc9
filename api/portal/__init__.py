"""The portal: the same application's pages for people, in Vietnamese first.

Server-rendered (Jinja2), no script needed: each role signs in with its local account
(or, with an identity provider, its token), sees its own work, and takes its steps
through the same route functions, access rules and signed actions as the API.
"""
