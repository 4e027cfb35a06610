import Foundation
import HostSpeech
import XCTest

final class LanguageModelTests: XCTestCase {
    func testSpokenTextNormalisation() {
        XCTAssertEqual(SpokenText.words("Can you refund order ORD-55120?"),
                       ["can", "you", "refund", "order", "o", "r", "d", "five", "five", "one", "two", "zero"])
        XCTAssertEqual(SpokenText.words("I paid $24.00, not $1.05!"),
                       ["i", "paid", "twenty", "four", "dollars", "not", "one", "dollar", "and", "five", "cents"])
        XCTAssertEqual(SpokenText.words("What's my balance? It's 30 days & 2.5%"),
                       ["what's", "my", "balance", "it's", "thirty", "days", "and", "two", "point", "five", "percent"])
        XCTAssertEqual(SpokenText.words("the 3rd item, 1,200 units, code 0042"),
                       ["the", "third", "item", "one", "thousand", "two", "hundred", "units", "code", "zero", "zero", "four", "two"])
        XCTAssertEqual(SpokenText.words("My e-mail isn't working"), ["my", "e-mail", "isn't", "working"])
        XCTAssertEqual(SpokenText.words("call 555-0142 at 10:30"),
                       ["call", "five", "five", "five", "zero", "one", "four", "two", "at", "ten", "thirty"])
        XCTAssertEqual(SpokenText.digits(in: "it's order one two oh four five"), "12045")
    }

    func testWordErrorRate() {
        XCTAssertEqual(WordErrorRate(reference: "a b c d", hypothesis: "a b c d").rate, 0)
        let wer = WordErrorRate(reference: "i need a refund", hypothesis: "i need the refund please")
        XCTAssertEqual(wer.substitutions, 1)
        XCTAssertEqual(wer.insertions, 1)
        XCTAssertEqual(wer.deletions, 0)
        XCTAssertEqual(wer.rate, 0.5)
        XCTAssertEqual(WordErrorRate(reference: "one two three", hypothesis: "").deletions, 3)
        XCTAssertEqual(WordErrorRate(reference: "", hypothesis: "").rate, 0)
        let total = WordErrorRate(reference: "a b", hypothesis: "a") + WordErrorRate(reference: "c d", hypothesis: "c d")
        XCTAssertEqual(total.rate, 0.25)
    }

    func testDomainModelIsAProperBackoffModel() async throws {
        let model = try await SpeechFixtures.domainModel.value
        print("[speech] domain LM: \(SupportPhrases.all.count) phrases → \(model.vocabulary.count) words, "
              + "order \(model.order), built in \(format(model.buildSeconds * 1000)) ms; OOV: \(model.outOfVocabulary)")
        // Digits, spelled letters of "ORD" and the domain's key words are in the model.
        for word in ["refund", "balance", "person", "shipping", "o", "r", "d", "zero", "seven", "oh"] {
            XCTAssertTrue(model.vocabulary.contains(word), word)
        }
        // Grammar words are in the dictionary even when not in the model.
        XCTAssertTrue(model.lexicon.contains("nope"))
        XCTAssertTrue(model.lexicon.contains("q"))
        XCTAssertFalse(model.vocabulary.contains("q"))
        // ARPA structure.
        XCTAssertTrue(model.arpa.hasPrefix("\\data\\\nngram 1="))
        XCTAssertTrue(model.arpa.contains("\\3-grams:"))
        XCTAssertTrue(model.arpa.hasSuffix("\\end\\\n"))
        XCTAssertTrue(model.arpa.contains("-99.000000\t<s>\t"))
        // Every history's distribution sums to one over the vocabulary and </s>.
        let outcomes = model.vocabulary + ["</s>"]
        for history in [["<s>"], ["my"], ["<s>", "i"], ["i", "want"], ["refund"], ["zero"], ["<s>", "where"], ["order", "o"]] {
            let total = outcomes.reduce(0.0) { $0 + pow(10, model.logProbability(of: $1, after: history)) }
            XCTAssertEqual(total, 1, accuracy: 1e-3, "history \(history)")
        }
        XCTAssertEqual(model.logProbability(of: "<s>", after: []), -99)
        // Seen continuations beat unseen ones.
        XCTAssertGreaterThan(model.logProbability(of: "balance", after: ["my", "account"]),
                             model.logProbability(of: "shipping", after: ["my", "account"]))
    }

    func testOutOfVocabularyWordsAreReportedAndDropped() throws {
        let model = try DomainLanguageModel.build(phrases: ["I love my zorblax phone", "zorblax support please", "my check-in call"],
                                                  order: 2)
        XCTAssertEqual(model.outOfVocabulary, ["zorblax": 2])
        XCTAssertFalse(model.vocabulary.contains("zorblax"))
        XCTAssertEqual(model.sentences.first, ["i", "love", "my", "phone"])
        XCTAssertTrue(model.arpa.contains("\\2-grams:"))
        XCTAssertFalse(model.arpa.contains("\\3-grams:"))
        // A hyphenated word cmudict lacks is split into parts it has.
        XCTAssertTrue(model.vocabulary.contains("check"))
        XCTAssertTrue(model.sentences.contains(["my", "check", "in", "call"]))
        // A supplied pronunciation keeps the word.
        let withBrand = try DomainLanguageModel.build(phrases: ["I love my zorblax phone"], pronunciations: ["zorblax": "Z AO R B L AE K S"])
        XCTAssertTrue(withBrand.outOfVocabulary.isEmpty)
        XCTAssertTrue(withBrand.vocabulary.contains("zorblax"))
        XCTAssertTrue(withBrand.lexicon.dictionaryText.contains("zorblax Z AO R B L AE K S\n"))
    }

    func testVocabularyWithoutPhrasesIsUniform() throws {
        let model = try DomainLanguageModel.build(phrases: [], order: 2, extraVocabulary: ["yes", "no"])
        XCTAssertEqual(model.vocabulary, ["no", "yes"])
        XCTAssertEqual(model.logProbability(of: "yes", after: []), log10(1.0 / 3), accuracy: 1e-6)
    }

    func testGrammarsDeriveTheirVocabulary() {
        let digits = RecognitionGrammar.digits(count: 4)
        XCTAssertTrue(digits.jsgf.contains("public <digits4> = <digit> <digit> <digit> <digit>;"))
        XCTAssertEqual(digits.vocabulary, Set(SpokenText.digitWords + ["oh"]))
        XCTAssertTrue(RecognitionGrammar.orderID().vocabulary.isSuperset(of: ["order", "o", "r", "d", "number", "five"]))
        XCTAssertTrue(RecognitionGrammar.yesNo.vocabulary.isSuperset(of: ["yes", "yeah", "no", "nope", "that's"]))
        XCTAssertFalse(RecognitionGrammar.yesNo.vocabulary.contains("yes | yeah"))
    }
}
