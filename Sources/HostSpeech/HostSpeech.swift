public enum HostSpeechInfo {}
