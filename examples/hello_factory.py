from flask import Flask

def create_app(config_filename):
    """
    (NOTE: Of course, this example is silly. Don't copy this pattern!)

    If you're interested in flask app factories, start here:
    https://flask.palletsprojects.com/en/2.0.x/patterns/appfactories/
    """

    app = Flask(__name__)
    print(f'\n\n***\nLoad some configuration from: {config_filename}\n***\n')

    @app.route("/")
    def hello_world():
        return '<p>Hello, world!</p>'

    return app
