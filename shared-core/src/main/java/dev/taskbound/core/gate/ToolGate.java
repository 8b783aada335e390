package dev.taskbound.core.gate;

import dev.taskbound.core.egress.EgressDecision;
import dev.taskbound.core.egress.RuleSet;
import dev.taskbound.core.policy.GateDecision;
import dev.taskbound.core.policy.ToolRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Decides an agent's tool call before it runs (docs/hooks.md): the {@code gate.rules} that name its
 * action, the {@code gate.tools} rules whose pattern matches its target, and the built-in checks
 * that mirror the gateway (a {@code git push} in a shell command is decided as {@code git.push} of
 * each ref it names, by the same {@link ActionRules}; a {@code WebFetch} of a host the egress rules
 * refuse is refused here, with the rule to add). The strictest decision wins; among equally strict
 * ones the first (rules, then tool rules, then built-ins). Immutable and thread-safe.
 */
public final class ToolGate {
  /**
   * What decided a tool call.
   *
   * @param decision allow, approve or deny
   * @param rule the deciding rule as the evidence names it ({@code tool.bash 'git push *': deny},
   *     {@code built-in: git.push only to ...}, {@code default})
   * @param reason one line for the agent and the evidence
   */
  public record Verdict(GateDecision decision, String rule, String reason) {
    public Verdict {
      Objects.requireNonNull(decision, "decision");
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(reason, "reason");
    }
  }

  private final GateRules rules;
  private final ActionRules actions;
  private final List<ToolRule> tools;
  private final RuleSet egress;

  /**
   * @param rules the policy's {@code gate.rules}
   * @param actions the gateway's action rules, for the pushes a shell command makes
   * @param tools the policy's {@code gate.tools}
   * @param egress the rules the gateway enforces, for the hosts a fetch would reach
   */
  public ToolGate(GateRules rules, ActionRules actions, List<ToolRule> tools, RuleSet egress) {
    this.rules = Objects.requireNonNull(rules, "rules");
    this.actions = Objects.requireNonNull(actions, "actions");
    this.tools = List.copyOf(tools);
    this.egress = Objects.requireNonNull(egress, "egress");
  }

  /** Decides {@code call}. */
  public Verdict decide(ToolCall call) {
    List<Verdict> found = new ArrayList<>();
    GateRules.Verdict byRule = rules.decide(call.action());
    if (byRule.rule().isPresent()) {
      found.add(new Verdict(byRule.decision(), byRule.ruleName(), wording(byRule.decision(), byRule.describe())));
    }
    for (ToolRule t : tools) {
      if (t.names(call.action()) && matches(call, t.match())) {
        String name = t.toString();
        found.add(new Verdict(t.decision(), name, t.reason().orElse(wording(t.decision(), "gate tool rule '" + name + "'"))));
      }
    }
    for (String ref : call.pushes()) {
      found.add(fromAction(actions.decide("git.push", ref), "git push to " + ref));
    }
    for (String ref : call.deletes()) {
      found.add(fromAction(actions.decide("git.ref.delete", ref), "git push deleting " + ref));
    }
    if (call.action().equals("tool.web_fetch") && call.target().isEmpty()) {
      found.add(new Verdict(GateDecision.DENY, "built-in: a fetch names a host",
          "the URL's host could not be read, so no egress or tool rule could be checked; accepted: an http(s) URL"
              + " with a host"));
    } else if (call.action().equals("tool.web_fetch")) {
      EgressDecision d = egress.decide(RuleSet.canonicalHost(call.target()), 443);
      if (!d.allowed()) {
        found.add(new Verdict(GateDecision.DENY, "egress: " + d.rule().map(Object::toString).orElse("no allow rule"),
            "the sandbox's egress refuses " + call.target() + ": " + d.reason() + "; to allow it, add \"" + d.ruleToAdd()
                + "\" to spec.egress.allow"));
      }
    }
    Verdict decider = null;
    for (Verdict v : found) {
      if (decider == null || v.decision().compareTo(decider.decision()) > 0) {
        decider = v;
      }
    }
    return decider != null ? decider : new Verdict(GateDecision.ALLOW, "default", "no gate rule names " + call.action());
  }

  private static Verdict fromAction(ActionRules.Outcome o, String what) {
    return new Verdict(o.decision(), o.rule(), what + ": " + o.reason());
  }

  private static String wording(GateDecision d, String by) {
    switch (d) {
      case ALLOW:
        return "allowed by " + by;
      case DENY:
        return "refused by " + by;
      default:
        return "needs a person's approval by " + by;
    }
  }

  /** Whether a rule's pattern matches the call's target (see {@link ToolRule}). */
  static boolean matches(ToolCall call, String pattern) {
    if (pattern.equals("*")) {
      return true;
    }
    switch (call.action()) {
      case "tool.bash": {
        Pattern p = glob(pattern, true);
        if (p.matcher(call.target().strip()).matches()) {
          return true;
        }
        // as typed, and as the shell runs it (quotes removed, one space apart): "rm  -rf /" is rm -rf /
        return ShellCommands.simpleCommands(call.target()).stream()
            .anyMatch(c -> p.matcher(c).matches() || p.matcher(ShellCommands.asRun(c)).matches());
      }
      case "tool.write":
        return glob(pattern, false).matcher(call.target()).matches();
      case "tool.web_fetch":
        return hostMatches(pattern.toLowerCase(java.util.Locale.ROOT), call.target());
      default:
        return false;
    }
  }

  /** {@code example.com}, {@code *.example.com} (strict subdomains), {@code **.example.com} (and the apex). */
  static boolean hostMatches(String pattern, String host) {
    if (pattern.startsWith("**.")) {
      String apex = pattern.substring(3);
      return host.equals(apex) || host.endsWith("." + apex);
    }
    if (pattern.startsWith("*.")) {
      return host.endsWith(pattern.substring(1)) && host.length() > pattern.length() - 1;
    }
    return host.equals(pattern);
  }

  /**
   * A glob as a regex: {@code **} any characters, {@code *} any but {@code /} (any at all for
   * commands), {@code ?} one character; a path glob without {@code /} also matches the last segment.
   */
  static Pattern glob(String glob, boolean command) {
    StringBuilder r = new StringBuilder();
    if (!command && !glob.startsWith("/") && !glob.startsWith("**")) {
      r.append("(?:.*/)?"); // a relative glob matches below any directory: the workspace's files are absolute
    }
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
        r.append(".*");
        i++;
      } else if (c == '*') {
        r.append(command ? ".*" : "[^/]*");
      } else if (c == '?') {
        r.append(command ? "." : "[^/]");
      } else {
        r.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(r.toString(), Pattern.DOTALL);
  }
}
