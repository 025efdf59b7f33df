import ast


def calculate(expression, user_input):
    # expect: test-eval-of-variable
    a = eval(expression)
    # expect: test-eval-of-variable
    b = eval(user_input + "1")
    # expect: test-eval-of-variable
    c = eval(f"{user_input} * 2")
    # ok: test-eval-of-variable
    d = eval("1 + 2")
    # ok: test-eval-of-variable
    e = ast.literal_eval(user_input)
    # ok: test-eval-of-variable
    f = evaluate(user_input)
    return a, b, c, d, e, f
