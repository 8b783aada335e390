package dev.taskbound.core.policy;

import java.util.List;

/**
 * One layer's {@code gate.hooks}, {@code gate.prompts}, {@code gate.tools}, {@code gate.approval}
 * ({@link ApprovalLayer#EMPTY} when unset) and {@code spec.regulated} ({@link Regulated}), each null when the
 * layer does not set it.
 */
record HookLayer(Located<List<Located<String>>> agents, Located<PromptRecording> prompts,
    Located<List<Located<ToolRule>>> tools, ApprovalLayer approval, Located<Boolean> regulated) {
  static final HookLayer EMPTY = new HookLayer(null, null, null);

  HookLayer(Located<List<Located<String>>> agents, Located<PromptRecording> prompts, Located<List<Located<ToolRule>>> tools) {
    this(agents, prompts, tools, ApprovalLayer.EMPTY, null);
  }

  HookLayer(Located<List<Located<String>>> agents, Located<PromptRecording> prompts,
      Located<List<Located<ToolRule>>> tools, ApprovalLayer approval) {
    this(agents, prompts, tools, approval, null);
  }

  HookLayer withRegulated(Located<Boolean> regulated) {
    return new HookLayer(agents, prompts, tools, approval, regulated);
  }
}
