"""What the test suites share, as one package (pyproject's `pythonpath = ["tests"]`): the one ASGI client
(`client`), the intake world (`intake`), the officers' world (`officers`), the attack world of the authz and
bad-input suites (`world`, `footprint`), the journey's service (`journey`), the web election (`web_election`),
the audit events (`audit_events`), and photos and forms made on the spot (`ocr_fill`, `ocr_photos`,
`ocr_template`). The Hypothesis strategies ship with the engine itself: `reconcile.strategies`."""
