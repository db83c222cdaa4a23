-- Template: {{database}} is an identifier quoted by the caller.
CREATE DATABASE {{database}}
