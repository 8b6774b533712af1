"""Optimiser updates on hand-computed cases; schedules at known epochs."""

import math

import numpy as np
import pytest

from core.optim import SGD, Adam
from core.schedules import learning_rate


def one_param(value=1.0, grad=0.5):
    return [np.array([value])], [np.array([grad])]


def test_plain_gradient_descent_step():
    params, grads = one_param(1.0, 0.5)
    SGD(params, grads).step(0.1)
    assert params[0][0] == pytest.approx(1.0 - 0.1 * 0.5)


def test_momentum_accumulates_velocity():
    params, grads = one_param(1.0, 0.5)
    sgd = SGD(params, grads, momentum=0.9)
    sgd.step(0.1)  # v = 0.5,              w = 1 - 0.05      = 0.95
    sgd.step(0.1)  # v = 0.9*0.5 + 0.5 = 0.95, w = 0.95 - 0.095 = 0.855
    assert sgd.velocity[0][0] == pytest.approx(0.95)
    assert params[0][0] == pytest.approx(0.855)


def test_adam_first_step_moves_by_the_learning_rate():
    # After one step m_hat = g and v_hat = g^2, so the step is lr * g / |g| = lr * sign(g).
    params, grads = one_param(1.0, 0.5)
    Adam(params, grads).step(0.01)
    assert params[0][0] == pytest.approx(1.0 - 0.01, rel=1e-6)


def test_adam_second_step_by_hand():
    params, grads = one_param(0.0, 1.0)
    adam = Adam(params, grads)
    adam.step(0.1)
    grads[0][0] = -1.0
    adam.step(0.1)
    m = 0.9 * 0.1 + 0.1 * -1.0  # -0.01
    v = 0.999 * 0.001 + 0.001 * 1.0  # 0.001999
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    expected = -0.1 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert params[0][0] == pytest.approx(expected, rel=1e-6)


def test_constant_schedule():
    assert learning_rate("constant", 0.1, 7, 10) == 0.1


def test_step_schedule_halves_every_interval():
    rates = [learning_rate("step", 0.1, epoch, 30, step_every=10, gamma=0.5) for epoch in (0, 9, 10, 25)]
    assert rates == pytest.approx([0.1, 0.1, 0.05, 0.025])


def test_cosine_schedule_from_base_towards_zero():
    assert learning_rate("cosine", 0.2, 0, 10) == pytest.approx(0.2)
    assert learning_rate("cosine", 0.2, 5, 10) == pytest.approx(0.1)
    assert learning_rate("cosine", 0.2, 9, 10) == pytest.approx(0.2 * 0.5 * (1 + math.cos(math.pi * 0.9)))
