UNLISTEN {{channel}}
