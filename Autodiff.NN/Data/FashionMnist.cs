namespace Autodiff.NN.Data;

/// <summary>Loads Fashion-MNIST (28×28 grey images of 10 clothing classes) from its four IDX files, pixels scaled to [0, 1].</summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>How to get the data, for messages.</summary>
    public const string HowToGet =
        "Fashion-MNIST was not found. On Debian or Ubuntu: sudo apt-get install dataset-fashion-mnist " +
        "(files go to /usr/share/datasets/fashion-mnist), or pass the folder holding train-images-idx3-ubyte(.gz), " +
        "train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz).";

    /// <summary>The class names, by label.</summary>
    public static readonly string[] Classes =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>True when all four files are in <paramref name="directory"/>.</summary>
    public static bool IsAvailable(string directory = DefaultDirectory) =>
        new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" }
            .All(name => Find(directory, name) is not null);

    /// <summary>Loads the training (60,000) or test (10,000) split: inputs [N, 784] in [0, 1], labels 0-9.</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says how to get the data.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt, or images and labels disagree.</exception>
    public static TensorDataset Load(bool train, string directory = DefaultDirectory)
    {
        string prefix = train ? "train" : "t10k";
        string images = Find(directory, $"{prefix}-images-idx3-ubyte") ?? throw new FileNotFoundException(HowToGet);
        string labels = Find(directory, $"{prefix}-labels-idx1-ubyte") ?? throw new FileNotFoundException(HowToGet);
        return FromIdx(images, labels);
    }

    /// <summary>Builds a dataset from an images file [N, rows, cols] and a labels file [N].</summary>
    /// <exception cref="InvalidDataException">The files are corrupt, or their counts or ranks disagree.</exception>
    public static TensorDataset FromIdx(string imagesPath, string labelsPath)
    {
        var images = IdxReader.Read(imagesPath);
        var labels = IdxReader.Read(labelsPath);
        if (images.Dims.Length != 3) throw new InvalidDataException($"FashionMnist: '{imagesPath}' has {images.Dims.Length} dimensions, expected 3 [N, rows, cols].");
        if (labels.Dims.Length != 1) throw new InvalidDataException($"FashionMnist: '{labelsPath}' has {labels.Dims.Length} dimensions, expected 1 [N].");
        if (images.Dims[0] != labels.Dims[0])
            throw new InvalidDataException($"FashionMnist: '{imagesPath}' holds {images.Dims[0]} images but '{labelsPath}' holds {labels.Dims[0]} labels.");
        int n = images.Dims[0], pixels = images.Dims[1] * images.Dims[2];
        var values = new float[images.Data.Length];
        for (int i = 0; i < values.Length; i++) values[i] = images.Data[i] / 255f;
        return new TensorDataset(Tensor.FromArray(values, n, pixels), labels.Data.Select(b => (int)b).ToArray());
    }

    private static string? Find(string directory, string name) =>
        new[] { Path.Combine(directory, name), Path.Combine(directory, name + ".gz") }.FirstOrDefault(File.Exists);
}
