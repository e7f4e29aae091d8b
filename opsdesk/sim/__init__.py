"""The SOP simulator: a playbook's real engine on a virtual clock (issue 8).

A plain package (no Django): `scenario` describes the load, `runner` plays it.
"""
