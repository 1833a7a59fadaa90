#pragma once

#include <tuple>
#include <type_traits>

#include "weir/functions.hpp"

namespace weir::detail {

/// A key selector not given yet (join builders).
struct no_key {};

/// The argument types of a non-generic callable (lambda, functor, function pointer).
template <class F, class = void>
struct callable_args {
  static constexpr bool known = false;
};

template <class R, class... Args>
struct callable_args<R (*)(Args...)> {
  static constexpr bool known = true;
  using args = std::tuple<Args...>;
};

template <class C, class R, class... Args>
struct callable_args<R (C::*)(Args...) const> : callable_args<R (*)(Args...)> {};

template <class C, class R, class... Args>
struct callable_args<R (C::*)(Args...)> : callable_args<R (*)(Args...)> {};

template <class F>
struct callable_args<F, std::void_t<decltype(&F::operator())>>
  : callable_args<decltype(&F::operator())> {};

template <class T>
struct emitter_type {
  using type = void;
};
template <class T>
struct emitter_type<emitter<T>&> {
  using type = T;
};

/// The R of a flat_map function f(const In&, emitter<R>&), or void if it cannot be deduced.
template <class F, class = void>
struct flat_map_output {
  using type = void;
};
template <class F>
struct flat_map_output<F, std::enable_if_t<callable_args<F>::known>> {
  using args = typename callable_args<F>::args;
  using type = std::conditional_t<
    std::tuple_size_v<args> == 2,
    typename emitter_type<std::tuple_element_t<std::tuple_size_v<args> == 2 ? 1 : 0, args>>::type,
    void>;
};

/// The R of a window process function f(key, window, elements, emitter<R>&), or void.
template <class F, class = void>
struct process_output {
  using type = void;
};
template <class F>
struct process_output<F, std::enable_if_t<callable_args<F>::known>> {
  using args = typename callable_args<F>::args;
  using type = std::conditional_t<
    std::tuple_size_v<args> == 4,
    typename emitter_type<std::tuple_element_t<std::tuple_size_v<args> == 4 ? 3 : 0, args>>::type,
    void>;
};

/// The R of an interval join function f(a, b, emitter<R>&), or void.
template <class F, class = void>
struct interval_output {
  using type = void;
};
template <class F>
struct interval_output<F, std::enable_if_t<callable_args<F>::known>> {
  using args = typename callable_args<F>::args;
  using type = std::conditional_t<
    std::tuple_size_v<args> == 3,
    typename emitter_type<std::tuple_element_t<std::tuple_size_v<args> == 3 ? 2 : 0, args>>::type,
    void>;
};

} // namespace weir::detail
