// base_exception_group / exception_group: the kind rule, split and subgroup through nested
// groups, and except_star (Python's `except*`), after CPython's test_exception_group.py.
#include <coreloop/exception_group.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace coreloop {
namespace {

struct value_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct type_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class E>
std::exception_ptr make(std::string what) {
    return std::make_exception_ptr(E(std::move(what)));
}

// What each exception of a (possibly nested) list is, as "V:what", "T:what", "K", or a
// nested group as "message[...]", so structures compare as strings.
std::string shape(const std::vector<std::exception_ptr>& excs);

std::string shape_of(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const exception_group& g) {
        return "E:" + g.message() + "[" + shape(g.exceptions()) + "]";
    } catch (const base_exception_group& g) {
        return "B:" + g.message() + "[" + shape(g.exceptions()) + "]";
    } catch (const value_error& v) {
        return std::string("V:") + v.what();
    } catch (const type_error& t) {
        return std::string("T:") + t.what();
    } catch (const keyboard_interrupt&) {
        return "K";
    } catch (...) {
        return "?";
    }
}

std::string shape(const std::vector<std::exception_ptr>& excs) {
    std::string out;
    for (const auto& e : excs) {
        out += (out.empty() ? "" : ",") + shape_of(e);
    }
    return out;
}

// outer[V:1, inner[V:2, T:3], T:4]
exception_group nested_errors() {
    auto inner = std::make_exception_ptr(
            exception_group("inner", {make<value_error>("2"), make<type_error>("3")}));
    return exception_group("outer", {make<value_error>("1"), inner, make<type_error>("4")});
}

TEST(ExceptionGroup, HoldsMessageAndExceptions) {
    exception_group g("boom", {make<value_error>("a"), make<type_error>("b")});
    EXPECT_EQ(g.message(), "boom");
    EXPECT_EQ(g.exceptions().size(), 2U);
    EXPECT_STREQ(g.what(), "boom (2 sub-exceptions)");
    exception_group one("x", {make<value_error>("a")});
    EXPECT_STREQ(one.what(), "x (1 sub-exception)");
}

TEST(ExceptionGroup, IsCatchableAsStdExceptionAndAsBaseExceptionGroup) {
    auto thrower = [] { throw exception_group("g", {make<value_error>("a")}); };
    EXPECT_THROW(thrower(), std::exception);
    EXPECT_THROW(thrower(), base_exception_group);
    EXPECT_THROW(thrower(), base_exception);
    try {
        thrower();
    } catch (const std::exception& e) {
        EXPECT_STREQ(e.what(), "g (1 sub-exception)");
    }
}

TEST(ExceptionGroup, BaseExceptionGroupIsNotAStdException) {
    bool caught_as_std = false;
    bool caught_as_base = false;
    try {
        try {
            throw base_exception_group("g", {std::make_exception_ptr(keyboard_interrupt())});
        } catch (const std::exception&) {
            caught_as_std = true;
        }
    } catch (const base_exception_group&) {
        caught_as_base = true;
    }
    EXPECT_FALSE(caught_as_std);
    EXPECT_TRUE(caught_as_base);
}

TEST(ExceptionGroup, ConstructorRejectsEmptyNullAndBaseExceptions) {
    EXPECT_THROW(exception_group("e", {}), std::invalid_argument);
    EXPECT_THROW(base_exception_group("e", {}), std::invalid_argument);
    EXPECT_THROW(exception_group("e", {nullptr}), std::invalid_argument);
    EXPECT_THROW(exception_group("e", {std::make_exception_ptr(keyboard_interrupt())}),
                 std::invalid_argument);
    auto base = std::make_exception_ptr(
            base_exception_group("b", {std::make_exception_ptr(keyboard_interrupt())}));
    EXPECT_THROW(exception_group("e", {base}), std::invalid_argument);
}

TEST(ExceptionGroup, MakeExceptionGroupChoosesTheKindLikeBaseExceptionGroupNew) {
    auto errors = make_exception_group("m", {make<value_error>("a"), make<type_error>("b")});
    EXPECT_EQ(shape_of(errors), "E:m[V:a,T:b]");
    auto mixed = make_exception_group(
            "m", {make<value_error>("a"), std::make_exception_ptr(keyboard_interrupt())});
    EXPECT_EQ(shape_of(mixed), "B:m[V:a,K]");
    // A nested exception_group is an error, so the outer one is an exception_group too.
    auto nested = make_exception_group("o", {errors});
    EXPECT_EQ(shape_of(nested), "E:o[E:m[V:a,T:b]]");
}

TEST(ExceptionGroup, SplitFlat) {
    exception_group g("m", {make<value_error>("1"), make<type_error>("2"), make<value_error>("3")});
    auto [match, rest] = g.split<value_error>();
    ASSERT_TRUE(match && rest);
    EXPECT_EQ(match->message(), "m");
    EXPECT_EQ(shape(match->exceptions()), "V:1,V:3");
    EXPECT_EQ(shape(rest->exceptions()), "T:2");
}

TEST(ExceptionGroup, SplitRecursesIntoNestedGroupsKeepingStructure) {
    auto [match, rest] = nested_errors().split<value_error>();
    ASSERT_TRUE(match && rest);
    EXPECT_EQ(shape(match->exceptions()), "V:1,E:inner[V:2]");
    EXPECT_EQ(shape(rest->exceptions()), "E:inner[T:3],T:4");
}

TEST(ExceptionGroup, SplitKeepsAWhollyMatchingNestedGroupAsItIs) {
    auto inner = std::make_exception_ptr(exception_group("inner", {make<value_error>("2")}));
    exception_group g("outer", {inner, make<type_error>("1")});
    auto [match, rest] = g.split<value_error>();
    ASSERT_TRUE(match && rest);
    ASSERT_EQ(match->exceptions().size(), 1U);
    EXPECT_EQ(match->exceptions()[0], inner); // the same object, not a copy
}

TEST(ExceptionGroup, TheWholeGroupMatchesItsOwnType) {
    auto g = nested_errors();
    auto [match, rest] = g.split<exception_group>();
    ASSERT_TRUE(match);
    EXPECT_FALSE(rest);
    EXPECT_EQ(shape(match->exceptions()), shape(g.exceptions()));
    auto [all, none] = g.split<std::exception>();
    EXPECT_TRUE(all);
    EXPECT_FALSE(none);
}

TEST(ExceptionGroup, SubgroupIsNulloptWhenNothingMatches) {
    auto g = nested_errors();
    EXPECT_FALSE(g.subgroup<std::out_of_range>());
    auto types = g.subgroup<type_error>();
    ASSERT_TRUE(types);
    EXPECT_EQ(shape(types->exceptions()), "E:inner[T:3],T:4");
    auto [match, rest] = g.split<std::out_of_range>();
    EXPECT_FALSE(match);
    ASSERT_TRUE(rest);
    EXPECT_EQ(shape(rest->exceptions()), shape(g.exceptions()));
}

TEST(ExceptionGroup, SplitOfABaseGroupDerivesEachPartsKind) {
    auto inner = std::make_exception_ptr(base_exception_group(
            "inner", {make<value_error>("1"), std::make_exception_ptr(keyboard_interrupt())}));
    base_exception_group g("outer", {inner, make<type_error>("2")});
    auto [match, rest] = g.split<std::exception>();
    ASSERT_TRUE(match && rest);
    // The errors alone make an exception_group; the rest keeps the base group.
    EXPECT_EQ(shape(match->exceptions()), "E:inner[V:1],T:2");
    EXPECT_EQ(shape(rest->exceptions()), "B:inner[K]");
    // rethrow() raises a part as the kind its exceptions allow.
    try {
        match->rethrow();
    } catch (const exception_group& e) {
        EXPECT_EQ(e.message(), "outer");
    } catch (...) {
        ADD_FAILURE() << "the matching part should be raised as an exception_group";
    }
}

TEST(ExceptionGroup, ExceptStarHandlesMatchingLeavesAndRethrowsTheRest) {
    std::vector<std::string> handled;
    try {
        except_star<value_error>(nested_errors(),
                                 [&](value_error& e) { handled.emplace_back(e.what()); });
        ADD_FAILURE() << "the type_errors should have been rethrown";
    } catch (const exception_group& rest) {
        EXPECT_EQ(rest.message(), "outer");
        EXPECT_EQ(shape(rest.exceptions()), "E:inner[T:3],T:4");
    }
    EXPECT_EQ(handled, (std::vector<std::string>{"1", "2"}));
}

TEST(ExceptionGroup, ExceptStarReturnsWhenEveryLeafIsHandled) {
    int n = 0;
    except_star<std::runtime_error>(nested_errors(), [&](std::runtime_error&) { ++n; });
    EXPECT_EQ(n, 4);
}

TEST(ExceptionGroup, ExceptStarRaisesHandlerErrorsWithTheRest) {
    try {
        except_star<value_error>(nested_errors(), [](value_error& e) {
            throw std::out_of_range(std::string("from ") + e.what());
        });
        ADD_FAILURE() << "nothing was raised";
    } catch (const exception_group& g) {
        EXPECT_EQ(g.message(), "");
        ASSERT_EQ(g.exceptions().size(), 3U);
        EXPECT_EQ(shape_of(g.exceptions()[2]), "E:outer[E:inner[T:3],T:4]");
    }
}

TEST(ExceptionGroup, ExceptStarOnAnExceptionPtr) {
    int n = 0;
    except_star<value_error>(make<value_error>("bare"), [&](value_error&) { ++n; });
    EXPECT_EQ(n, 1);
    EXPECT_THROW(except_star<value_error>(make<type_error>("t"), [&](value_error&) { ++n; }),
                 type_error);
    EXPECT_EQ(n, 1);
    try {
        throw nested_errors();
    } catch (...) {
        except_star<std::runtime_error>(std::current_exception(),
                                        [&](std::runtime_error&) { ++n; });
    }
    EXPECT_EQ(n, 5);
}

TEST(ExceptionGroup, ExceptStarOnBaseExceptionsLeavesTheErrors) {
    base_exception_group g("g",
                           {std::make_exception_ptr(keyboard_interrupt()), make<value_error>("1")});
    int n = 0;
    try {
        except_star<keyboard_interrupt>(g, [&](keyboard_interrupt&) { ++n; });
    } catch (const exception_group& rest) {
        EXPECT_EQ(shape(rest.exceptions()), "V:1");
    }
    EXPECT_EQ(n, 1);
}

} // namespace
} // namespace coreloop
