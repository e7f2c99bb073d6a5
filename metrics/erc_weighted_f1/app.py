import evaluate
from evaluate.utils import launch_gradio_widget

launch_gradio_widget(evaluate.load("erc_weighted_f1.py"))
