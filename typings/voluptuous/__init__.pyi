# Home Assistant >= 2026.9 serves `import voluptuous` from probatio
# (homeassistant/__init__.py calls probatio.compat.install_as_voluptuous()), so for the type
# checker, too, `voluptuous` is probatio.
from probatio import *  # noqa: F403
