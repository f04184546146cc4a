"""``python -m open_to_close.cli``: the ``otc`` command without the console script."""

from . import main

main()
