package dev.taskbound.core.policy;

import java.util.List;
import java.util.Objects;

/**
 * What the policy says about the agent's own hooks (docs/hooks.md): which agents' hooks the session
 * installs ({@code gate.hooks}), how prompts are recorded ({@code gate.prompts}) and the rules for
 * tool calls ({@code gate.tools}). Immutable.
 *
 * @param agents the agents whose hooks the session installs in the sandbox ({@code gate.hooks}:
 *     {@code claude-code}); they add up across layers, so a ceiling can require them
 * @param prompts how the evidence records each prompt
 * @param tools the tool rules of every layer, in order (they add up: the strictest match wins)
 * @param approval how {@code approve} decisions are settled ({@code gate.approval})
 * @param regulated {@code spec.regulated}: a Ceiling or profile asked for regulated work (docs/policy.md),
 *     which the merged policy then satisfies; no lower layer can switch it off
 */
public record HookPolicy(List<String> agents, PromptRecording prompts, List<ToolRule> tools, ApprovalPolicy approval,
    boolean regulated) {
  /** The agents whose hooks Taskbound knows. */
  public static final List<String> KNOWN_AGENTS = List.of("claude-code");

  /** No hooks installed, prompts recorded by hash, no tool rules. */
  public static final HookPolicy DEFAULT = new HookPolicy(List.of(), PromptRecording.HASH, List.of(), ApprovalPolicy.DEFAULT, false);

  public HookPolicy {
    agents = List.copyOf(agents);
    Objects.requireNonNull(prompts, "prompts");
    tools = List.copyOf(tools);
    Objects.requireNonNull(approval, "approval");
  }

  /** With the default approval settings ({@link ApprovalPolicy#DEFAULT}), not regulated. */
  public HookPolicy(List<String> agents, PromptRecording prompts, List<ToolRule> tools) {
    this(agents, prompts, tools, ApprovalPolicy.DEFAULT, false);
  }

  /** With the default approval settings. */
  public HookPolicy(List<String> agents, PromptRecording prompts, List<ToolRule> tools, boolean regulated) {
    this(agents, prompts, tools, ApprovalPolicy.DEFAULT, regulated);
  }

  /** Not regulated. */
  public HookPolicy(List<String> agents, PromptRecording prompts, List<ToolRule> tools, ApprovalPolicy approval) {
    this(agents, prompts, tools, approval, false);
  }
}
