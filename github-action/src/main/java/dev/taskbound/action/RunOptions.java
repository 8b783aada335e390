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
 * the rule named, any rule the policy files do not already allow). Stateless.
 */
final class RunOptions {
  private static final Pattern LIST_SEPARATOR = Pattern.compile("[,\\s]+");

  private RunOptions() {}

  /** The extra options: {@code --claim} for each claim, then {@code --egress-allow} for each rule. */
  static List<String> extras(Map<String, String> env, Map<String, String> claims) {
    List<String> args = new ArrayList<>(RunClaims.options(claims));
    Optional.ofNullable(env.get(ActionInputs.variableFor("egress-allow"))).stream()
        .flatMap(LIST_SEPARATOR::splitAsStream)
        .map(String::strip)
        .filter(rule -> !rule.isEmpty())
        .forEach(rule -> args.addAll(List.of("--egress-allow", rule)));
    return args;
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
