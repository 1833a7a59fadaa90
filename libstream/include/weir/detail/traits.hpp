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

/// The R of a function whose last of `Arity` parameters is emitter<R>&, or
/// void if it cannot be deduced (a generic lambda, another arity).
template <class F, size_t Arity, class = void>
struct emitter_output {
  using type = void;
};
template <class F, size_t Arity>
struct emitter_output<F, Arity, std::enable_if_t<callable_args<F>::known>> {
  using args = typename callable_args<F>::args;
  static constexpr bool fits = std::tuple_size_v<args> == Arity;
  using type = std::conditional_t<
    fits, typename emitter_type<std::tuple_element_t<fits ? Arity - 1 : 0, args>>::type, void>;
};

/// flat_map: f(const In&, emitter<R>&).
template <class F>
using flat_map_output = emitter_output<F, 2>;
/// Window process and window functions: f(key, window, records or result, emitter<R>&).
template <class F>
using process_output = emitter_output<F, 4>;
/// Interval join: f(const A&, const B&, emitter<R>&).
template <class F>
using interval_output = emitter_output<F, 3>;

} // namespace weir::detail
