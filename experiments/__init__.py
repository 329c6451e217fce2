"""The top of nanotomo: experiment runs, reports and the ``nanotomo`` command line."""
