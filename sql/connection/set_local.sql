SET LOCAL {{name}} = {{value}}
