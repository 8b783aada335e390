package dev.taskbound.action;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code taskbound run} options the action adds besides the inputs {@link ActionInputs} reads:
 * the run's identity claims ({@link RunClaims}) and the {@code egress-allow} input, a last narrowing
 * of the policy's egress for quick starts ({@code --egress-allow}: the core refuses, with 120 and
 * the rule named, any rule the policy files do not already allow) and the {@code pass-env} input,
 * step variables the agent gets too ({@code --pass-env}, e.g. a model API key). Stateless.
 */
final class RunOptions {
  private static final Pattern LIST_SEPARATOR = Pattern.compile("[,\\s]+");

  private RunOptions() {}

  /**
   * The extra options: {@code --claim} for each claim, {@code --egress-allow} for each rule, {@code
   * --pass-env} for each variable name (the core checks names and refuses its own).
   */
  static List<String> extras(Map<String, String> env, Map<String, String> claims) {
    List<String> args = new ArrayList<>(RunClaims.options(claims));
    list(env, "egress-allow").forEach(rule -> args.addAll(List.of("--egress-allow", rule)));
    list(env, "pass-env").forEach(name -> args.addAll(List.of("--pass-env", name)));
    return args;
  }

  private static List<String> list(Map<String, String> env, String input) {
    return Optional.ofNullable(env.get(ActionInputs.variableFor(input))).stream()
        .flatMap(LIST_SEPARATOR::splitAsStream)
        .map(String::strip)
        .filter(item -> !item.isEmpty())
        .toList();
  }

  /** {@code runArguments} with {@code extras} before the {@code --} that starts the agent command. */
  static List<String> withExtras(List<String> runArguments, List<String> extras) {
    int end = runArguments.indexOf("--");
    if (end < 0) {
      throw new IllegalArgumentException("no '--' in " + runArguments);
    }
    List<String> args = new ArrayList<>(runArguments.subList(0, end));
    args.addAll(extras);
    args.addAll(runArguments.subList(end, runArguments.size()));
    return List.copyOf(args);
  }
}
