LISTEN {{channel}}
