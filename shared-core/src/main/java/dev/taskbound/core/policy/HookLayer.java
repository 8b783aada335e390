package dev.taskbound.core.policy;

import java.util.List;

/**
 * One layer's {@code gate.hooks}, {@code gate.prompts}, {@code gate.tools} and {@code gate.approval}, each null
 * ({@link ApprovalLayer#EMPTY}) when the layer does not set it.
 */
record HookLayer(Located<List<Located<String>>> agents, Located<PromptRecording> prompts,
    Located<List<Located<ToolRule>>> tools, ApprovalLayer approval) {
  static final HookLayer EMPTY = new HookLayer(null, null, null);

  HookLayer(Located<List<Located<String>>> agents, Located<PromptRecording> prompts, Located<List<Located<ToolRule>>> tools) {
    this(agents, prompts, tools, ApprovalLayer.EMPTY);
  }
}
