// task_group: the behaviour CPython's test_taskgroups.py pins down (results, the first failure
// cancelling siblings and body, exception_group, cancellation from outside, nesting,
// create_task rules, base errors), carried over to with_task_group. cancel() is in
// task_group_cancel_test.cpp.
#include <coreloop/task_group.hpp>

#include "task_group_support.hpp"

namespace coreloop {
namespace {

using namespace test;

// --- results and names ------------------------------------------------------------------

TEST_P(TaskGroup, ChildResultsAreReadableAfterTheGroup) {
    run([]() -> coro<void> {
        task<int> t1;
        task<int> t2;
        co_await with_task_group([&](task_group& tg) -> coro<void> {
            t1 = tg.create_task(value_after(100ms, 42));
            t2 = tg.create_task(value_after(200ms, 11));
            co_return;
        });
        EXPECT_TRUE(t1.done() && t2.done());
        EXPECT_EQ(t1.result(), 42);
        EXPECT_EQ(t2.result(), 11);
    }());
}

TEST_P(TaskGroup, BodyValueIsReturned) {
    run([]() -> coro<void> {
        std::optional<int> v = co_await with_task_group([](task_group& tg) -> coro<int> {
            task<int> t = tg.create_task(value_after(10ms, 5));
            co_return co_await t + 1;
        });
        EXPECT_EQ(v, 6);
    }());
}

TEST_P(TaskGroup, CreateTaskKeepsTheName) {
    run([]() -> coro<void> {
        co_await with_task_group([](task_group& tg) -> coro<void> {
            task<int> t = tg.create_task(value_after(0ms, 1), "yolo");
            EXPECT_EQ(t.get_name(), "yolo");
            co_return;
        });
    }());
}

TEST_P(TaskGroup, ChildCancelledExplicitlyDoesNotFailTheGroup) {
    run([]() -> coro<void> {
        task<int> t1;
        task<int> t2;
        co_await with_task_group([&](task_group& tg) -> coro<void> {
            t1 = tg.create_task(value_after(1s, 42));
            co_await sleep(150ms);
            t1.cancel();
            t2 = tg.create_task(value_after(200ms, 11));
        });
        EXPECT_TRUE(t1.cancelled());
        EXPECT_EQ(t2.result(), 11);
    }());
}

// --- failures ----------------------------------------------------------------------------

TEST_P(TaskGroup, TwoChildrenFailingGiveOneGroupWithBoth) {
    run([]() -> coro<void> {
        try {
            co_await with_task_group([](task_group& tg) -> coro<void> {
                tg.create_task(fail_now("a"));
                tg.create_task(fail_now("b"));
                co_return;
            });
            ADD_FAILURE() << "no exception_group";
        } catch (const exception_group& g) {
            EXPECT_EQ(g.message(), "unhandled errors in a TaskGroup");
            EXPECT_EQ(g.exceptions().size(), 2U);
            EXPECT_EQ(count_of<test_error>(g), 2);
        }
    }());
}

TEST_P(TaskGroup, FirstFailureCancelsSiblingsAndBody) {
    run([]() -> coro<void> {
        int sibling_cancels = 0;
        bool body_cancelled = false;
        bool after_group = false;
        auto runner = [](int& sibling_cancels_ref, bool& body_cancelled_ref,
                         bool& after_group_ref) -> coro<void> {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                tg.create_task(void_fail_after(100ms, "x"));
                tg.create_task(void_fail_after(100ms, "y"));
                tg.create_task(sleep_counting(5s, sibling_cancels_ref));
                try {
                    co_await sleep(5s);
                } catch (const cancelled_error&) {
                    body_cancelled_ref = true;
                    throw;
                }
            });
            after_group_ref = true;
        };
        task<> r = create_task(runner(sibling_cancels, body_cancelled, after_group));
        try {
            co_await r;
            ADD_FAILURE() << "no exception_group";
        } catch (const exception_group& g) {
            EXPECT_EQ(count_of<test_error>(g), static_cast<int>(g.exceptions().size()));
            EXPECT_EQ(g.exceptions().size(), 2U); // both failed in the same iteration
        }
        EXPECT_EQ(sibling_cancels, 1);
        EXPECT_TRUE(body_cancelled);
        EXPECT_FALSE(after_group);
        EXPECT_FALSE(r.cancelled());
    }());
}

TEST_P(TaskGroup, ParentIsNotLeftCancelledAfterAFailure) {
    run([]() -> coro<void> {
        try {
            co_await with_task_group([](task_group& tg) -> coro<void> {
                tg.create_task(void_fail_after(10ms, "x"));
                co_await sleep(5s); // cancelled by the group
            });
        } catch (const exception_group&) {
        }
        EXPECT_EQ(current_task().cancelling(), 0U);
        co_await sleep(1ms); // the group's cancellation was withdrawn: no cancelled_error
    }());
}

TEST_P(TaskGroup, FailureInTheBodyCancelsChildrenAndJoinsTheGroup) {
    run([]() -> coro<void> {
        task<int> t1;
        task<int> t2;
        try {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                t1 = tg.create_task(value_after(1s, 42));
                t2 = tg.create_task(value_after(2s, 11));
                throw value_error("body");
                co_return;
            });
            ADD_FAILURE() << "no exception_group";
        } catch (const exception_group& g) {
            EXPECT_EQ(g.exceptions().size(), 1U);
            EXPECT_EQ(count_of<value_error>(g), 1);
        }
        EXPECT_TRUE(t1.cancelled());
        EXPECT_TRUE(t2.cancelled());
    }());
}

TEST_P(TaskGroup, BodyErrorAfterAnAwaitAndChildErrorsTogether) {
    run([]() -> coro<void> {
        auto nested = []() -> coro<void> {
            try {
                co_await sleep(5s);
            } catch (...) {
            }
            throw value_error("from body");
        };
        try {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                tg.create_task(void_fail_after(100ms, "child"));
                co_await nested();
            });
            ADD_FAILURE() << "no exception_group";
        } catch (const exception_group& g) {
            EXPECT_EQ(g.exceptions().size(), 2U);
            EXPECT_EQ(count_of<test_error>(g), 1);
            EXPECT_EQ(count_of<value_error>(g), 1);
        }
    }());
}

// --- cancellation from outside -----------------------------------------------------------

TEST_P(TaskGroup, CancellationFromOutsideCancelsChildrenAndBody) {
    run([]() -> coro<void> {
        int cancels = 0;
        auto runner = [](int& cancels_ref) -> coro<void> {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                for (int i = 0; i < 5; ++i) {
                    tg.create_task(sleep_counting(5s, cancels_ref));
                }
                try {
                    co_await sleep(5s);
                } catch (const cancelled_error&) {
                    cancels_ref += 10;
                    throw;
                }
            });
        };
        task<> r = create_task(runner(cancels));
        co_await sleep(100ms);
        EXPECT_FALSE(r.done());
        r.cancel("test");
        try {
            co_await r;
            ADD_FAILURE() << "no cancelled_error";
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "test");
        }
        EXPECT_EQ(cancels, 15);
        EXPECT_TRUE(r.cancelled());
        EXPECT_EQ(r.cancelling(), 1U); // only the outside request: the group added none
    }());
}

TEST_P(TaskGroup, CancellationWhileWaitingForChildren) {
    run([]() -> coro<void> {
        int cancels = 0;
        auto runner = [](int& cancels_ref) -> coro<void> {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                for (int i = 0; i < 3; ++i) {
                    tg.create_task(sleep_counting(5s, cancels_ref));
                }
                co_return; // the group waits in exit when the cancel arrives
            });
        };
        task<> r = create_task(runner(cancels));
        co_await sleep(100ms);
        r.cancel("test");
        try {
            co_await r;
            ADD_FAILURE() << "no cancelled_error";
        } catch (const cancelled_error& e) {
            EXPECT_EQ(e.message(), "test");
        }
        EXPECT_EQ(cancels, 3);
    }());
}

TEST_P(TaskGroup, ErrorsWinOverAnOutsideCancellation) {
    run([]() -> coro<void> {
        auto stubborn = []() -> coro<void> {
            try {
                co_await sleep(5s);
            } catch (const cancelled_error&) {
                throw value_error("cleanup failed");
            }
        };
        auto runner = [](auto stubborn_ref) -> coro<void> {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                tg.create_task(stubborn_ref());
                co_await sleep(5s);
            });
        };
        task<> r = create_task(runner(stubborn));
        co_await sleep(100ms);
        r.cancel();
        try {
            co_await r;
            ADD_FAILURE() << "no exception_group";
        } catch (const exception_group& g) {
            EXPECT_EQ(count_of<value_error>(g), 1);
        }
        // The outside request is still counted (uncancel + cancel keeps it stable).
        EXPECT_EQ(r.cancelling(), 1U);
    }());
}

TEST_P(TaskGroup, BodyTurningTheCancelIntoAnErrorGivesAGroup) {
    run([]() -> coro<void> {
        auto runner = []() -> coro<void> {
            co_await with_task_group([](task_group&) -> coro<void> {
                try {
                    co_await sleep(5s);
                } catch (const cancelled_error&) {
                    throw value_error("weird but supported");
                }
            });
        };
        task<> r = create_task(runner());
        co_await sleep(100ms);
        r.cancel();
        try {
            co_await r;
            ADD_FAILURE() << "no exception_group";
        } catch (const exception_group& g) {
            EXPECT_EQ(count_of<value_error>(g), 1);
        }
    }());
}

// --- nesting and growth ------------------------------------------------------------------

TEST_P(TaskGroup, NestedGroupsOuterChildFailsFirst) {
    run([]() -> coro<void> {
        try {
            co_await with_task_group([](task_group& g1) -> coro<void> {
                g1.create_task(void_fail_after(100ms, "outer child"));
                co_await with_task_group([](task_group& g2) -> coro<void> {
                    g2.create_task(void_fail_after(5s, "inner child"));
                    co_return;
                });
            });
            ADD_FAILURE() << "no exception_group";
        } catch (const exception_group& g) {
            EXPECT_EQ(g.exceptions().size(), 1U);
            EXPECT_EQ(count_of<test_error>(g), 1);
        }
    }());
}

TEST_P(TaskGroup, NestedGroupsInnerChildFailsFirst) {
    run([]() -> coro<void> {
        try {
            co_await with_task_group([](task_group& g1) -> coro<void> {
                g1.create_task(void_fail_after(5s, "outer child"));
                co_await with_task_group([](task_group& g2) -> coro<void> {
                    g2.create_task(void_fail_after(100ms, "inner child"));
                    co_return;
                });
            });
            ADD_FAILURE() << "no exception_group";
        } catch (const exception_group& g) {
            EXPECT_EQ(g.exceptions().size(), 1U);
            EXPECT_EQ(count_of<exception_group>(g), 1);
            try {
                std::rethrow_exception(g.exceptions().at(0));
            } catch (const exception_group& inner) {
                EXPECT_EQ(count_of<test_error>(inner), 1);
                EXPECT_EQ(inner.exceptions().size(), 1U);
            }
            // split looks through the nesting.
            auto errors = g.subgroup<test_error>();
            EXPECT_TRUE(errors && errors->exceptions().size() == 1U);
        }
    }());
}

TEST_P(TaskGroup, NestedGroupsCancelledFromOutside) {
    run([]() -> coro<void> {
        int cancels = 0;
        auto runner = [](int& cancels_ref) -> coro<void> {
            co_await with_task_group([&](task_group& g1) -> coro<void> {
                g1.create_task(sleep_counting(5s, cancels_ref));
                co_await with_task_group([&](task_group& g2) -> coro<void> {
                    g2.create_task(sleep_counting(5s, cancels_ref));
                    co_await sleep(5s);
                });
            });
        };
        task<> r = create_task(runner(cancels));
        co_await sleep(100ms);
        r.cancel();
        EXPECT_THROW(co_await r, cancelled_error);
        EXPECT_EQ(cancels, 2);
        EXPECT_EQ(r.cancelling(), 1U);
    }());
}

TEST_P(TaskGroup, ChildCreatesMoreChildrenInTheSameGroup) {
    run([]() -> coro<void> {
        std::vector<int> log;
        co_await with_task_group([&](task_group& tg) -> coro<void> {
            tg.create_task([](task_group& g, std::vector<int>& log_ref) -> coro<void> {
                co_await sleep(100ms);
                g.create_task([](std::vector<int>& out) -> coro<void> {
                    co_await sleep(100ms);
                    out.push_back(1);
                }(log_ref));
                g.create_task([](std::vector<int>& out) -> coro<void> {
                    co_await sleep(200ms);
                    out.push_back(2);
                }(log_ref));
            }(tg, log));
            co_return; // the group is already exiting when the grandchildren are made
        });
        EXPECT_EQ(log, (std::vector<int>{1, 2}));
    }());
}

// asyncio's "hydra": children keep spawning children until a sibling fails.
void spawn_hydra(task_group& g, int& heads);

coro<void> hydra(task_group& g, int& heads) {
    ++heads;
    co_await sleep(10ms);
    spawn_hydra(g, heads);
    spawn_hydra(g, heads);
}

void spawn_hydra(task_group& g, int& heads) {
    g.create_task(hydra(g, heads));
}

TEST_P(TaskGroup, GrowingGroupStopsAtTheFirstFailure) {
    run([]() -> coro<void> {
        int heads = 0;
        try {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                spawn_hydra(tg, heads);
                tg.create_task([](int& heads_ref) -> coro<void> {
                    while (heads_ref < 10) {
                        co_await sleep(15ms);
                    }
                    throw test_error("hercules");
                }(heads));
                co_return;
            });
            ADD_FAILURE() << "no exception_group";
        } catch (const exception_group& g) {
            EXPECT_EQ(count_of<test_error>(g), static_cast<int>(g.exceptions().size()));
        }
        EXPECT_GE(heads, 10);
    }());
}

// --- create_task rules -------------------------------------------------------------------

TEST_P(TaskGroup, CreateTaskAfterExitThrowsAndTheCoroNeverRuns) {
    run([]() -> coro<void> {
        task_group tg;
        co_await with_task_group(tg, [](task_group& g) -> coro<void> {
            g.create_task(value_after(1ms, 1));
            co_return;
        });
        bool ran = false;
        try {
            tg.create_task([](bool& ran_ref) -> coro<void> {
                ran_ref = true;
                co_return;
            }(ran));
            ADD_FAILURE() << "create_task after exit succeeded";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("is finished"), std::string::npos) << e.what();
        }
        co_await sleep(1ms);
        EXPECT_FALSE(ran); // and the frame is gone: teardown counts frames
        EXPECT_THROW(co_await with_task_group(tg, [](task_group&) -> coro<void> { co_return; }),
                     std::runtime_error); // entered once only
    }());
}

TEST_P(TaskGroup, CreateTaskWhileShuttingDownThrows) {
    run([]() -> coro<void> {
        bool refused = false;
        try {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                tg.create_task(fail_now("x"));
                try {
                    co_await sleep(5s);
                } catch (const cancelled_error&) {
                }
                try {
                    tg.create_task(value_after(1ms, 1));
                } catch (const std::runtime_error& e) {
                    refused = std::string(e.what()).find("shutting down") != std::string::npos;
                }
            });
        } catch (const exception_group&) {
        }
        EXPECT_TRUE(refused);
    }());
}

TEST_P(TaskGroup, CreateTaskBeforeEntryThrows) {
    run([]() -> coro<void> {
        task_group tg;
        EXPECT_THROW(tg.create_task(value_after(1ms, 1)), std::runtime_error);
        co_return;
    }());
}

TEST_P(TaskGroup, EagerChildFailingImmediately) {
    run([]() -> coro<void> {
        int cancels = 0;
        bool body_went_on = false;
        try {
            co_await with_task_group([&](task_group& tg) -> coro<void> {
                tg.create_task(sleep_counting(5s, cancels));
                task<> t = tg.create_task(fail_now("eager"),
                                          task_options{.name = {}, .eager_start = true});
                EXPECT_TRUE(t.done()); // failed inside create_task
                // The failure is handled through the ready queue, not inside create_task.
                body_went_on = true;
                co_await sleep(5s);
            });
            ADD_FAILURE() << "no exception_group";
        } catch (const exception_group& g) {
            EXPECT_EQ(g.exceptions().size(), 1U);
            EXPECT_EQ(count_of<test_error>(g), 1);
        }
        EXPECT_TRUE(body_went_on);
        EXPECT_EQ(cancels, 1);
        EXPECT_EQ(current_task().cancelling(), 0U);
    }());
}

TEST_P(TaskGroup, EagerChildThatFinishesOrSuspends) {
    run([]() -> coro<void> {
        task<int> quick;
        task<int> slow;
        co_await with_task_group([&](task_group& tg) -> coro<void> {
            quick = tg.create_task(value_after(0ms, 1),
                                   task_options{.name = {}, .eager_start = true});
            slow = tg.create_task(value_after(10ms, 2),
                                  task_options{.name = {}, .eager_start = true});
            EXPECT_FALSE(slow.done());
            co_return;
        });
        EXPECT_EQ(quick.result(), 1);
        EXPECT_EQ(slow.result(), 2);
    }());
}

TEST_P(TaskGroup, EagerChildCancellingTheGroupBeforeJoiningIt) {
    run([]() -> coro<void> {
        int cancels = 0;
        co_await with_task_group([&](task_group& tg) -> coro<void> {
            // gh-155418: the child cancels the group during its eager step, before
            // create_task adopted it; it must still be cancelled with the rest.
            tg.create_task(
                    [](task_group& g, int& cancels_ref) -> coro<void> {
                        g.cancel();
                        co_await sleep_counting(5s, cancels_ref);
                    }(tg, cancels),
                    task_options{.name = {}, .eager_start = true});
            co_await sleep(5s);
        });
        EXPECT_EQ(cancels, 1);
    }());
}

// --- base errors -------------------------------------------------------------------------

TEST_P(TaskGroup, KeyboardInterruptFromAChildIsRaisedBare) {
    run([]() -> coro<void> {
        int cancels = 0;
        EXPECT_THROW(co_await with_task_group([&](task_group& tg) -> coro<void> {
                         tg.create_task([]() -> coro<void> {
                             co_await sleep(100ms);
                             throw keyboard_interrupt();
                         }());
                         tg.create_task(void_fail_after(100ms, "lost otherwise"));
                         tg.create_task(sleep_counting(5s, cancels));
                         co_return;
                     }),
                     keyboard_interrupt);
        EXPECT_EQ(cancels, 1);
    }());
    // The other error is not lost: it went to the exception handler.
    ASSERT_EQ(reports.size(), 1U);
    EXPECT_TRUE(detail::leaf_is<test_error>(reports[0].exception));
    reports.clear();
}

TEST_P(TaskGroup, SystemExitFromTheBodyIsRaisedBare) {
    run([]() -> coro<void> {
        EXPECT_THROW(co_await with_task_group([](task_group& tg) -> coro<void> {
                         tg.create_task(void_fail_after(100ms, "child"));
                         try {
                             co_await sleep(5s);
                         } catch (...) {
                         }
                         throw system_exit();
                     }),
                     system_exit);
    }());
    ASSERT_EQ(reports.size(), 1U);
    reports.clear();
}

TEST_P(TaskGroup, OtherBaseExceptionsGiveABaseExceptionGroup) {
    run([]() -> coro<void> {
        bool as_std = false;
        try {
            try {
                co_await with_task_group([](task_group& tg) -> coro<void> {
                    tg.create_task([]() -> coro<void> {
                        co_await sleep(100ms);
                        throw my_base_error("base");
                    }());
                    try {
                        co_await sleep(5s);
                    } catch (...) {
                    }
                    throw test_error("body");
                });
            } catch (const std::exception&) {
                as_std = true;
            }
        } catch (const base_exception_group& g) {
            EXPECT_EQ(count_of<my_base_error>(g), 1);
            EXPECT_EQ(count_of<test_error>(g), 1);
        }
        EXPECT_FALSE(as_std);
    }());
}

// --- teardown ----------------------------------------------------------------------------

TEST_P(TaskGroup, LoopClosedWithAGroupPending) {
    run([this]() -> coro<void> {
        loop().create_task([]() -> coro<void> {
            co_await with_task_group([](task_group& tg) -> coro<void> {
                tg.create_task(value_after(5s, 1));
                tg.create_task(value_after(5s, 2));
                co_await sleep(5s);
            });
        }());
        co_await sleep(10ms);
    }());
    loop().close(); // drops the pending parent and children: no frame may leak
    EXPECT_FALSE(reports.empty());
    reports.clear();
}

CORELOOP_ALL_BACKENDS(TaskGroup);

} // namespace
} // namespace coreloop
