"""The compiled referral reach is the sparse product A @ A.T @ A it replaced, on random trading networks."""

import numpy as np
import pytest
from scipy import sparse

from symbiosim.environment.referrals import three_step_reach


def product_reach(seller, buyer, n, query_seller, query_buyer):
    """The reference: a path seller -> b1 <- s1 -> buyer exists where (A @ A.T @ A) is positive."""
    a = sparse.csr_matrix((np.ones(len(seller)), (seller, buyer)), shape=(n, n))
    return np.asarray((a @ a.T @ a).tocsr()[query_seller, query_buyer]).reshape(-1) > 0


@pytest.mark.parametrize("seed", range(12))
def test_same_pairs_reached_as_the_sparse_product(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    links = int(rng.integers(1, 3 * n))
    seller, buyer = rng.integers(0, n, links), rng.integers(0, n, links)  # repeated links and self-pairs included
    query_seller, query_buyer = rng.integers(0, n, 5000), rng.integers(0, n, 5000)
    query_seller[:links], query_buyer[:links] = seller[: min(links, 5000)], buyer[: min(links, 5000)]
    reached = three_step_reach(seller, buyer, n, query_seller, query_buyer)
    np.testing.assert_array_equal(reached, product_reach(seller, buyer, n, query_seller, query_buyer))
    assert reached.any()


def test_a_hand_drawn_path():
    """s0 sold to b1, s2 sold to b1 and to b3: s0 reaches b3; s2 does not reach b4 (no link to it)."""
    seller, buyer = np.array([0, 2, 2]), np.array([1, 1, 3])
    reached = three_step_reach(seller, buyer, 5, np.array([0, 2, 0, 4]), np.array([3, 4, 1, 3]))
    assert reached.tolist() == [True, False, True, False]
