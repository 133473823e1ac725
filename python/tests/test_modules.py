"""--reload's list of the application's files (yimmo_host.modules)."""

import json
import os
import sys
import tempfile
import types
import unittest

from yimmo_host.modules import app_files


class AppFilesTest(unittest.TestCase):
    def test_app_files_only(self):
        with tempfile.TemporaryDirectory() as tmp:
            mine = os.path.join(tmp, "views.py")
            open(mine, "w").close()
            fake = types.ModuleType("views")
            fake.__file__ = mine
            compiled = types.ModuleType("ext")
            compiled.__file__ = os.path.join(tmp, "ext.so")
            modules = {"views": fake, "ext": compiled, "json": json, "os": os, "builtin": sys}
            self.assertEqual(app_files(modules), [os.path.realpath(mine)])

    def test_stdlib_and_own_package_left_out(self):
        files = app_files()
        self.assertNotIn(os.path.realpath(json.__file__), files)
        self.assertFalse(any("yimmo_host" in f for f in files), files)
        self.assertNotIn(os.path.realpath(unittest.__file__), files)


if __name__ == "__main__":
    unittest.main()
