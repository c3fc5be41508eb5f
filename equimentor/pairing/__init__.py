"""Pairing: the rules about who may be paired with whom and how many more a mentor can take,
read by the directory, matching and relationships (#22). Read-only: no models and no services.

The facts these rules read belong to apps above (proposals to matching, relationships and their
places to relationships, blocks to safeguarding, induction to training), which this layer may not
import; each registers its part in its ``AppConfig.ready()`` through :class:`Part` — the rule's
shape is here, once, the data stays with its owner:

- ``gate``: who the induction gate holds back (training);
- ``load``: a mentor's load = proposals waiting (matching) + places of open relationships
  (relationships), and free places against capacity;
- ``exclusions``: pairs never to propose (relationships: never again; safeguarding: blocks),
  mentees busy in a one-to-one relationship (relationships), and the state of the round that
  locks mentees' choices (matching).

A part that nothing provides raises ``LookupError`` when used (an app missing from
``INSTALLED_APPS`` is a configuration error, never a silent "no one is blocked");
``tests/test_pairing.py`` checks every part has its owner's provider.
"""
